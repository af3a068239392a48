#include "cli/commands.h"

int main(int argc, char** argv) { return skiff::cli::run_cli(argc, argv); }
