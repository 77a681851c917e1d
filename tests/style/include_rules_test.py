#!/usr/bin/env python3
"""include_rules.py on small synthetic trees: it passes a clean one and fails
each kind of problem (so the style test that runs it on the real tree can
fail)."""
import pathlib
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import include_rules  # noqa: E402

CLEAN = {
    "schemas/error.hpp": "",
    "transports/shm/segment.hpp": '#include "dxhub/schemas/error.hpp"\n'
                                  '#include "dxhub/launch/launcher.hpp"\n',
    "launch/launcher.hpp": '#include "dxhub/schemas/error.hpp"\n',
    "runtime/node.hpp": '#include "dxhub/runtime/channel.hpp"\n',
    "runtime/node.cpp": '#include "dxhub/runtime/node.hpp"\n'
                        '#include "dxhub/launch/launcher.hpp"\n'
                        '#include <vector>\n',
    "runtime/channel.hpp": '#include "dxhub/transports/shm/segment.hpp"\n',
    "runtime/channel.cpp": '#include "dxhub/runtime/channel.hpp"\n',
    "actors/registry.hpp": '#include "dxhub/runtime/node.hpp"\n',
    "apps/main.cpp": '#include "dxhub/actors/registry.hpp"\n#include "local.hpp"\n',
    "apps/local.hpp": "",
    "tests/support/caf_test.hpp": "",
    "tests/launch/launcher.cpp": '#include "dxhub/launch/launcher.hpp"\n'
                                 '#include "dxhub/tests/support/caf_test.hpp"\n',
    "tests/runtime/fixture.hpp": '#include "dxhub/runtime/node.hpp"\n',
    "tests/runtime/node.cpp": '#include "dxhub/tests/runtime/fixture.hpp"\n'
                              '#include "dxhub/tests/support/caf_test.hpp"\n',
    "tests/actors/registry.cpp": '#include "dxhub/tests/runtime/fixture.hpp"\n'
                                 '#include "dxhub/actors/registry.hpp"\n',
}


def tree(root, files):
    for name, text in files.items():
        path = pathlib.Path(root) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


class include_rules_test(unittest.TestCase):
    def problems(self, changes):
        with tempfile.TemporaryDirectory() as root:
            tree(root, {**CLEAN, **changes})
            return include_rules.check(root)

    def test_a_clean_tree_passes(self):
        self.assertEqual(self.problems({}), [])

    def test_a_cycle_through_a_source_file_is_reported_as_a_chain(self):
        found = self.problems({
            "runtime/channel.cpp": '#include "dxhub/runtime/channel.hpp"\n'
                                   '#include "dxhub/runtime/node.hpp"\n'})
        self.assertEqual(len(found), 1, found)
        self.assertIn("include cycle among 2 units of runtime/", found[0])
        self.assertIn("runtime/channel -> runtime/node -> runtime/channel", found[0])
        self.assertIn("runtime/channel.cpp:2 includes runtime/node.hpp", found[0])

    def test_a_longer_cycle_in_transports_names_every_link(self):
        found = self.problems({
            "transports/zmq/a.hpp": '#include "dxhub/transports/zmq/b.hpp"\n',
            "transports/zmq/b.hpp": '#include "c.hpp"\n',
            "transports/zmq/c.cpp": '#include "dxhub/transports/zmq/a.hpp"\n',
            "transports/zmq/c.hpp": ""})
        self.assertEqual(len(found), 1, found)
        self.assertIn("transports/zmq/a -> transports/zmq/b -> transports/zmq/c -> "
                      "transports/zmq/a", found[0])

    def test_an_upward_include_fails(self):
        found = self.problems({
            "transports/shm/segment.hpp": '#include "dxhub/runtime/node.hpp"\n'})
        self.assertTrue(any("transports/shm/segment.hpp:1" in p
                            and "'transports' may not include layer 'runtime'" in p
                            for p in found), found)

    def test_launch_includes_schemas_only(self):
        found = self.problems({
            "launch/launcher.hpp": '#include "dxhub/runtime/node.hpp"\n'})
        self.assertEqual(len(found), 1, found)
        self.assertIn("'launch' may not include layer 'runtime'", found[0])

    def test_launch_is_below_transports(self):
        found = self.problems({
            "launch/launcher.cpp": '#include "dxhub/transports/shm/segment.hpp"\n'})
        self.assertTrue(any("launch/launcher.cpp:1" in p
                            and "'launch' may not include layer 'transports'" in p
                            for p in found), found)

    def test_a_launch_test_may_not_include_the_runtime(self):
        found = self.problems({
            "tests/launch/launcher.cpp": '#include "dxhub/runtime/node.hpp"\n'})
        self.assertEqual(len(found), 1, found)
        self.assertIn("layer 'launch' (tests) may not include layer 'runtime'", found[0])

    def test_tests_support_may_use_launch(self):
        self.assertEqual(self.problems({
            "tests/support/child_process.hpp": '#include "dxhub/launch/launcher.hpp"\n'}), [])

    def test_a_runtime_test_may_not_include_actors(self):
        found = self.problems({
            "tests/runtime/node.cpp": '#include "dxhub/actors/registry.hpp"\n'})
        self.assertEqual(len(found), 1, found)
        self.assertIn("layer 'runtime' (tests) may not include layer 'actors'", found[0])

    def test_a_runtime_test_may_not_include_an_actors_test(self):
        found = self.problems({
            "tests/actors/helper.hpp": "",
            "tests/runtime/node.cpp": '#include "dxhub/tests/actors/helper.hpp"\n'})
        self.assertEqual(len(found), 1, found)

    def test_library_code_may_not_include_tests(self):
        found = self.problems({
            "runtime/node.cpp": '#include "dxhub/tests/support/caf_test.hpp"\n'})
        self.assertEqual(len(found), 1, found)
        self.assertIn("code outside tests/ includes a test file", found[0])

    def test_a_folder_of_no_layer_is_reported(self):
        found = self.problems({"gadgets/thing.cpp": ""})
        self.assertEqual(len(found), 1, found)
        self.assertIn("gadgets/", found[0])

    def test_an_installed_header_may_not_include_a_detail_header(self):
        found = self.problems({
            "runtime/detail/atoms.hpp": "",
            "runtime/node.hpp": '#include "dxhub/runtime/detail/atoms.hpp"\n'})
        self.assertEqual(len(found), 1, found)
        self.assertIn("runtime/node.hpp:1: includes runtime/detail/atoms.hpp", found[0])

    def test_nor_a_detail_header_of_a_lower_layer(self):
        found = self.problems({
            "transports/shm/detail/core.hpp": "",
            "runtime/channel.hpp": '#include "dxhub/transports/shm/detail/core.hpp"\n'})
        self.assertEqual(len(found), 1, found)
        self.assertIn("installed header", found[0])

    def test_detail_and_cli_code_and_sources_may_include_detail_headers(self):
        self.assertEqual(self.problems({
            "runtime/detail/atoms.hpp": "",
            "runtime/detail/router.hpp": '#include "dxhub/runtime/detail/atoms.hpp"\n',
            "runtime/node.cpp": '#include "dxhub/runtime/node.hpp"\n'
                                '#include "dxhub/runtime/detail/atoms.hpp"\n',
            "apps/cli/command.hpp": '#include "dxhub/runtime/detail/atoms.hpp"\n',
            "tests/runtime/fixture.hpp": '#include "dxhub/runtime/detail/atoms.hpp"\n'}), [])

    def test_the_program_exits_1_on_problems_and_0_on_a_clean_tree(self):
        script = pathlib.Path(include_rules.__file__)
        with tempfile.TemporaryDirectory() as root:
            tree(root, CLEAN)
            clean = subprocess.run([sys.executable, script, root], capture_output=True)
            tree(root, {"schemas/error.hpp": '#include "dxhub/apps/local.hpp"\n'})
            dirty = subprocess.run([sys.executable, script, root], capture_output=True,
                                   text=True)
        self.assertEqual(clean.returncode, 0)
        self.assertEqual(dirty.returncode, 1)
        self.assertIn("schemas/error.hpp:1: includes apps/local.hpp", dirty.stdout)


if __name__ == "__main__":
    unittest.main()
