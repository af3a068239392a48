#include "cli/commands.h"

namespace skiff::cli {

int run_cli(int, char**) { return 0; }

}  // namespace skiff::cli
