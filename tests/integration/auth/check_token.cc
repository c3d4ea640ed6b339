// wax-check-token --jwks FILE --issuer URL --audience AUD < token: prints the verified claims
// as JSON and exits 0, or prints "refused: MESSAGE" and exits 1.
#include <fstream>
#include <iostream>
#include <iterator>

#include <CLI/CLI.hpp>

#include "auth/jwt.h"

int main(int argc, char** argv) {
  CLI::App app{"wax-check-token: verify a JWT read from stdin as WaxAPI would"};
  std::string jwksPath;
  wax::auth::VerifyOptions options;
  app.add_option("--jwks", jwksPath, "The provider's JWK Set (a file)")->required();
  app.add_option("--issuer", options.issuer, "The expected issuer")->required();
  app.add_option("--audience", options.audiences, "An accepted audience")->required();
  CLI11_PARSE(app, argc, argv);
  std::ifstream jwksFile(jwksPath);
  const std::string token((std::istreambuf_iterator<char>(std::cin)), {});
  try {
    const auto keys = wax::auth::KeySet::fromJwks(nlohmann::json::parse(jwksFile));
    const auto verified = wax::auth::verifyToken(token, keys, options);
    std::cout << verified.claims.dump() << "\n";
    return 0;
  } catch (const std::exception& error) {
    std::cout << "refused: " << error.what() << "\n";
    return 1;
  }
}
