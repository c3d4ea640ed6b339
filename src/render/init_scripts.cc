#include "render/init_scripts.h"

// The scripts run on every Python the bytewax images ship (3.8 to 3.12), so they use nothing
// newer than 3.8. Errors go to stderr through sys.exit with the spec field to look at; they never
// print a URL or a token, which may carry credentials.
namespace wax::render {
namespace {

// Unpacks a tarball. Python's "data" filter (3.12, backported to 3.8.17+) refuses absolute paths,
// links out of the directory and device files; older interpreters extract as they are. Either
// way the archive is the user's own code, which runs in this pod with the same rights.
constexpr const char* kImports = "import os, sys\n";

constexpr const char* kExtract = R"(import tarfile


def extract(path, dest):
    with tarfile.open(path) as archive:
        if hasattr(tarfile, "data_filter"):
            archive.extractall(dest, filter="data")
        else:
            archive.extractall(dest)
)";

constexpr const char* kCode = R"(
import shutil

env = os.environ
workdir = env["BYTEWAX_WORKDIR"]
with open(env["BYTEWAX_HOSTFILE_PATH"], "w") as hostfile:
    for i in range(int(env["BYTEWAX_REPLICAS"])):
        hostfile.write("%s-%d.%s\n" % (env["WAX_HOST_PREFIX"], i, env["WAX_HOST_SUFFIX"]))

# A ConfigMap volume holds its keys as links into hidden "..data" directories; copy the files
# the links point to and skip the hidden entries.
code = env["WAX_CODE_DIR"]
if os.path.isdir(code):
    for entry in sorted(os.listdir(code)):
        if not entry.startswith("."):
            shutil.copy(os.path.join(code, entry), workdir)

tar = env.get("WAX_TAR_NAME", "")
if tar:
    path = os.path.join(workdir, tar)
    if not os.path.isfile(path):
        sys.exit("spec.tarName: %s is not a key of the code ConfigMap" % tar)
    extract(path, workdir)
)";

constexpr const char* kArtifacts = R"(
import shutil, urllib.error, urllib.request

env = os.environ
request = urllib.request.Request(env["WAX_ARTIFACTS_URL"])
token = env.get("WAX_ARTIFACTS_TOKEN", "")
if token:
    # Not sent on after a redirect: GitHub redirects archive downloads to another host with a
    # short-lived credential of its own.
    request.add_unredirected_header("Authorization", "Bearer " + token)
path = os.path.join(env["BYTEWAX_WORKDIR"], ".wax-artifacts.tar")
try:
    with urllib.request.urlopen(request, timeout=300) as response, open(path, "wb") as out:
        shutil.copyfileobj(response, out)
except urllib.error.HTTPError as error:
    sys.exit("spec.artifactsDownload: the download failed with HTTP %d; check the url and "
             "that the token may read it" % error.code)
except OSError as error:
    sys.exit("spec.artifactsDownload: the download failed: %s" % getattr(error, "reason", error))
extract(path, env["BYTEWAX_WORKDIR"])
os.remove(path)
)";

// bytewax's own `python -m bytewax.recovery DIR N` (init_db_dir) makes all N partitions at once
// and cannot make one alone, so a full set is made in a scratch directory on the same volume and
// only the missing partitions this pod holds are linked in. os.link never replaces a file: when
// pods share one volume and race, the loser keeps the winner's partition, and a partition that
// is in use is never overwritten. rename is the fallback for file systems without hard links.
constexpr const char* kRecovery = R"(
import shutil, sqlite3, tempfile
from pathlib import Path

from bytewax.recovery import init_db_dir

env = os.environ
directory = Path(env["BYTEWAX_RECOVERY_DIRECTORY"])
parts = int(env["BYTEWAX_RECOVERY_PARTS"])
processes = int(env["BYTEWAX_REPLICAS"])
shared = env.get("WAX_RECOVERY_SHARED") == "true"
# The process id as bytewax.run computes it from the same two variables.
index = int(env["BYTEWAX_POD_NAME"].replace(env["BYTEWAX_STATEFULSET_NAME"] + "-", ""))


def holds(j):
    return shared or j % processes == index


def part(d, j):
    return d / ("part-%d.sqlite3" % j)


def recorded_count(path):
    db = sqlite3.connect(str(path))
    try:
        return db.execute("SELECT part_count FROM parts LIMIT 1").fetchone()[0]
    finally:
        db.close()


# With a volume per pod, a partition that belongs to another process means processesCount
# changed since the state was made; making the missing ones would give two copies of some.
for existing in sorted(directory.glob("part-*.sqlite3")):
    j = int(existing.stem[len("part-"):])
    if not holds(j):
        sys.exit("spec.processesCount: this volume holds partition %d, which process %d of %d "
                 "does not own; set processesCount back to the value the state was made with, "
                 "or reset the state" % (j, index, processes))

missing = []
for j in range(parts):
    if not holds(j):
        continue
    if not part(directory, j).exists():
        missing.append(j)
    elif recorded_count(part(directory, j)) != parts:
        sys.exit("spec.recovery.partsCount: the state was made with %d partitions, not %d; set "
                 "it back or reset the state" % (recorded_count(part(directory, j)), parts))


def place(source, target):
    try:
        os.link(source, target)
    except FileExistsError:
        pass
    except OSError:
        if not target.exists():
            os.rename(source, target)


if missing:
    scratch = Path(tempfile.mkdtemp(prefix=".wax-new-parts-", dir=str(directory)))
    try:
        init_db_dir(scratch, parts)
        for j in missing:
            place(part(scratch, j), part(directory, j))
    finally:
        shutil.rmtree(str(scratch), ignore_errors=True)
print("recovery partitions created: %s" % (missing or "none"))
)";

}  // namespace

const std::string& codeScript() {
  static const std::string script = std::string(kImports) + kExtract + kCode;
  return script;
}

const std::string& artifactsScript() {
  static const std::string script = std::string(kImports) + kExtract + kArtifacts;
  return script;
}

const std::string& recoveryScript() {
  static const std::string script = std::string(kImports) + kRecovery;
  return script;
}

}  // namespace wax::render
