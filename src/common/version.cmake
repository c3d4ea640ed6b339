# Writes version.h with the commit the tree is at, on every build; the file is rewritten only
# when its content changes, so an unchanged commit rebuilds nothing.
execute_process(COMMAND git rev-parse --short=12 HEAD WORKING_DIRECTORY ${SOURCE_DIR}
                OUTPUT_VARIABLE WAX_GIT_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT WAX_GIT_COMMIT)
  set(WAX_GIT_COMMIT "unknown")
endif()
execute_process(COMMAND git status --porcelain --untracked-files=no
                WORKING_DIRECTORY ${SOURCE_DIR} OUTPUT_VARIABLE WAX_GIT_DIRTY ERROR_QUIET)
if(WAX_GIT_DIRTY)
  set(WAX_GIT_COMMIT "${WAX_GIT_COMMIT}-dirty")
endif()
configure_file(${INPUT} ${OUTPUT}.tmp @ONLY)
file(COPY_FILE ${OUTPUT}.tmp ${OUTPUT} ONLY_IF_DIFFERENT)
