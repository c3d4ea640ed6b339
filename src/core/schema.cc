#include "core/schema.h"

#include <utility>

namespace wax::core::schema {

FieldList fieldOrderAt(std::string_view schemaPath) {
  static constexpr std::pair<std::string_view, FieldList> kOrders[] = {
      {"", kTopFields},
      {"metadata", kMetadataFields},
      {"spec", kSpecFields},
      {"spec.image", kImageFields},
      {"spec.env[]", kEnvVarFields},
      {"spec.artifactsDownload", kArtifactsDownloadFields},
      {"spec.recovery", kRecoveryFields},
      {"spec.recovery.persistence", kPersistenceFields},
      {"spec.recovery.cloudBackup", kCloudBackupFields},
      {"spec.recovery.cloudBackup.s3", kS3Fields},
      {"status", kStatusFields},
      {"status.conditions[]", kConditionFields},
  };
  for (const auto& [path, fields] : kOrders) {
    if (path == schemaPath) {
      return fields;
    }
  }
  return {};
}

}  // namespace wax::core::schema
