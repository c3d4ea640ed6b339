#pragma once

#include "cli/credentials.h"

// `waxctl login` and `waxctl logout`, and keeping a session's access token fresh.
namespace wax::cli {

// `session`, its tokens refreshed (and stored) when the access token ends within a minute.
// Throws Unauthorized, saying to log in again, when the session cannot be refreshed.
Session freshSession(CredentialStore& store, Session session);

}  // namespace wax::cli
