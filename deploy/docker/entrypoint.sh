#!/bin/sh
# Runs the dataflow as the Bytewax image's entrypoint does: the process id and the address list
# come from BYTEWAX_POD_NAME, BYTEWAX_STATEFULSET_NAME and BYTEWAX_HOSTFILE_PATH, read by
# bytewax.run itself.
cd "$BYTEWAX_WORKDIR" || exit 1
python -m bytewax.run "$BYTEWAX_PYTHON_FILE_PATH"
status=$?
echo "Process ended."
if [ "$BYTEWAX_KEEP_CONTAINER_ALIVE" = "true" ]; then
  echo "Keeping the container alive (BYTEWAX_KEEP_CONTAINER_ALIVE=true)."
  while :; do sleep 3600; done
fi
exit $status
