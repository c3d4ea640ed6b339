// wax-check-token --issuer URL --audience AUD [--jwks FILE] [--ca-file PEM] < token: prints the
// verified claims as JSON and exits 0, or prints "refused: MESSAGE" and exits 1. Without
// --jwks, the keys come from the issuer's discovery document, as WaxAPI gets them.
#include <fstream>
#include <iostream>
#include <iterator>

#include <CLI/CLI.hpp>

#include "auth/jwt.h"
#include "auth/oidc.h"

int main(int argc, char** argv) {
  CLI::App app{"wax-check-token: verify a JWT read from stdin as WaxAPI would"};
  std::string jwksPath;
  wax::auth::VerifyOptions options;
  std::string caFile;
  app.add_option("--jwks", jwksPath, "The provider's JWK Set (a file); default: discovery");
  app.add_option("--ca-file", caFile, "CA bundle for the provider's TLS");
  app.add_option("--issuer", options.issuer, "The expected issuer")->required();
  app.add_option("--audience", options.audiences, "An accepted audience")->required();
  CLI11_PARSE(app, argc, argv);
  const std::string token((std::istreambuf_iterator<char>(std::cin)), {});
  try {
    wax::auth::VerifiedToken verified;
    if (jwksPath.empty()) {
      wax::auth::ProviderOptions provider{options.issuer, options.audiences, caFile};
      verified = wax::auth::Provider(provider, wax::auth::httpFetcher(caFile, provider.timeout))
                     .verify(token);
    } else {
      std::ifstream jwksFile(jwksPath);
      const auto keys = wax::auth::KeySet::fromJwks(nlohmann::json::parse(jwksFile));
      verified = wax::auth::verifyToken(token, keys, options);
    }
    std::cout << verified.claims.dump() << "\n";
    return 0;
  } catch (const std::exception& error) {
    std::cout << "refused: " << error.what() << "\n";
    return 1;
  }
}
