#pragma once

#include <string>

// Where local mode keeps its files, shared by waxd and waxctl so that they agree.
namespace wax {

// $WAX_DATA_DIR, else $XDG_DATA_HOME/wax, else ~/.local/share/wax.
std::string defaultDataDir();
// $WAX_PYTHON, else the environment `make setup` builds (~/.cache/wax/python/bytewax-0.21.1),
// else python3 from PATH.
std::string defaultPython();
// The directory holding the running executable (to find sibling binaries).
std::string executableDir();

// Files inside a data directory.
std::string stateFilePath(const std::string& dataDir);  // waxd.json: url and pid
std::string tokenFilePath(const std::string& dataDir);  // the API token, mode 0600
std::string waxdLogPath(const std::string& dataDir);

}  // namespace wax
