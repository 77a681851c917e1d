"""The type stubs (python/dxhub/*.pyi, PEP 561 marker py.typed) say what the
module has: they parse, sit next to the module in the build tree (and so in
the installed package, which installs the same files), and name every public
function, class, method and error class of the live module, with the
parameters of the package's functions. No type checker is among the
project's dependencies, so this compares against the module itself."""

import ast
import inspect
import os

import dxhub
import dxhub._dxhub as ext

PACKAGE = os.path.dirname(dxhub.__file__)

# Methods Python classes have anyway; only these dunders are part of the API.
API_DUNDERS = {"__getitem__", "__iter__", "__enter__", "__exit__"}


def stub(name):
    with open(os.path.join(PACKAGE, name)) as f:
        return ast.parse(f.read(), filename=name)


def top_level(tree):
    """{name: node} of the stub's functions, classes and imported names."""
    out = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out[node.name] = node
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                out[alias.asname or alias.name] = node
        elif isinstance(node, (ast.AnnAssign, ast.Assign)):
            target = node.target if isinstance(node, ast.AnnAssign) else node.targets[0]
            out[target.id] = node
    return out


def members(cls_node):
    out = set()
    for node in cls_node.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out.add(node.name)
        elif isinstance(node, ast.AnnAssign):
            out.add(node.target.id)
    return out


def test_the_stubs_and_the_marker_sit_next_to_the_module():
    for name in ("__init__.pyi", "_dxhub.pyi", "errors.pyi", "py.typed"):
        assert os.path.exists(os.path.join(PACKAGE, name)), name


def test_the_package_stub_names_everything_the_package_exports():
    names = top_level(stub("__init__.pyi"))
    missing = [n for n in dxhub.__all__ if n not in names]
    assert missing == []
    # The package's own functions: same parameters, kinds and defaults.
    for name, node in names.items():
        if not isinstance(node, ast.FunctionDef):
            continue
        live = inspect.signature(getattr(dxhub, name))
        args = node.args
        declared = [a.arg for a in args.args] + [a.arg for a in args.kwonlyargs]
        assert declared == list(live.parameters), name
        kwonly = [a.arg for a in args.kwonlyargs]
        assert kwonly == [p.name for p in live.parameters.values()
                          if p.kind == inspect.Parameter.KEYWORD_ONLY], name
        defaults = [ast.literal_eval(d) for d in args.defaults] + [
            ast.literal_eval(d) for d in args.kw_defaults if d is not None]
        assert defaults == [p.default for p in live.parameters.values()
                            if p.default is not inspect.Parameter.empty], name


def test_the_extension_stub_names_every_class_member_and_function():
    names = top_level(stub("_dxhub.pyi"))
    for name, value in vars(ext).items():
        if name.startswith("__"):
            continue
        assert name in names, "%s missing from _dxhub.pyi" % name
        if isinstance(value, type):
            live = {m for m in dir(value)
                    if not m.startswith("_") or m in API_DUNDERS}
            declared = members(names[name])
            assert live - declared == set(), name
            assert declared - live == set(), name
        elif callable(value):
            # pybind11 puts the signature first in the docstring.
            signature = value.__doc__.splitlines()[0]
            params = [a.arg for a in names[name].args.args] + [
                a.arg for a in names[name].args.kwonlyargs]
            for p in params:
                assert p + ":" in signature or p + "=" in signature, (name, p, signature)


def test_the_errors_stub_names_every_error_class_with_its_bases():
    names = top_level(stub("errors.pyi"))
    for name in dxhub.errors.__all__:
        assert name in names, "%s missing from errors.pyi" % name
        cls = getattr(dxhub.errors, name)
        if isinstance(cls, type):
            declared = [b.id for b in names[name].bases]
            live = [b.__name__ for b in cls.__bases__]
            assert declared == live, name
