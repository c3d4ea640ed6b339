#pragma once

#include <string>

// The Python programs the init containers run, in the dataflow's own image (it has python at
// /venv/bin/python with bytewax installed; no busybox or other image is needed). They take every
// user-supplied value (names, URLs, tokens) from the environment and never hand it to a shell.
namespace wax::render {

// The interpreter of the bytewax image's virtualenv (the image contract, section 4.7).
inline constexpr const char* kImagePython = "/venv/bin/python";

// Writes the hostfile ($BYTEWAX_HOSTFILE_PATH: "$WAX_HOST_PREFIX-<i>.$WAX_HOST_SUFFIX" for i in
// 0..$BYTEWAX_REPLICAS-1), copies the files of $WAX_CODE_DIR into $BYTEWAX_WORKDIR and unpacks
// $WAX_TAR_NAME there when it is set.
const std::string& codeScript();

// Downloads the tarball at $WAX_ARTIFACTS_URL (with $WAX_ARTIFACTS_TOKEN as a bearer token when
// set) and unpacks it into $BYTEWAX_WORKDIR.
const std::string& artifactsScript();

// Makes sure the recovery partitions this pod must hold exist in $BYTEWAX_RECOVERY_DIRECTORY,
// each checked on its own: all $BYTEWAX_RECOVERY_PARTS of them when $WAX_RECOVERY_SHARED is
// "true", else those j with j % $BYTEWAX_REPLICAS == the pod's process id.
const std::string& recoveryScript();

}  // namespace wax::render
