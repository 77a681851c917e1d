// Uses the installed headers and library: prints a command as JSON and the
// identity of its schema, then checks that it decodes again.
#include <dxhub/schemas/command.hpp>
#include <dxhub/schemas/json.hpp>
#include <dxhub/schemas/schema_of.hpp>

#include <iostream>

int main() {
  dxhub::command cmd;
  cmd.id = 1;
  cmd.service = "lab/cam0";
  cmd.name = "get_state";
  auto text = dxhub::encode_json(cmd);
  auto back = dxhub::decode_json<dxhub::command>(text);
  std::cout << text << "\n" << dxhub::to_string(dxhub::schema_of<dxhub::command>()) << "\n";
  return back && back.value() == cmd ? 0 : 1;
}
