// The shapes the page reads from the API (src/api/*.cc, src/core/codec.cc).

export type Metadata = {
  name: string;
  namespace?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  generation?: number;
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
};

export type EnvVar = { name: string; value: string };

export type S3Backup = {
  url?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  secretName?: string;
};

export type Recovery = {
  enabled?: boolean;
  partsCount?: number;
  snapshotInterval?: number;
  backupInterval?: number;
  singleVolume?: boolean;
  persistence?: { size?: string; storageClassName?: string };
  cloudBackup?: { enabled?: boolean; s3?: S3Backup };
};

export type DataflowSpec = {
  image?: { repository?: string; tag?: string; pullPolicy?: string; pullSecret?: string };
  pythonFileName?: string;
  processesCount?: number;
  workersPerProcess?: number;
  env?: EnvVar[];
  dependencies?: string[];
  configMapName?: string;
  tarName?: string;
  artifactsDownload?: { url?: string; token?: string; secretName?: string };
  jobMode?: boolean;
  keepAlive?: boolean;
  schedule?: string;
  concurrencyPolicy?: string;
  suspend?: boolean;
  recovery?: Recovery;
  chartValues?: string;
};

export type Condition = {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
};

export type DataflowStatus = {
  observedGeneration?: number;
  phase?: string;
  conditions?: Condition[];
  processesDesired?: number;
  processesReady?: number;
  restarts?: number;
  lastError?: string;
};

export type Dataflow = {
  apiVersion?: string;
  kind?: string;
  metadata: Metadata;
  spec: DataflowSpec;
  status?: DataflowStatus;
};

export type DataflowList = {
  metadata?: { resourceVersion?: string };
  items: Dataflow[];
};

export type WatchEvent<T> = {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'ERROR' | 'BOOKMARK';
  object: T;
};

export type Process = {
  name: string;
  index: number;
  running: boolean;
  ready: boolean;
  pid?: number;
  lastExitCode?: number;
  restarts?: number;
};

export type SecretEntry = { key: string; value: string };
export type Secret = { name: string; namespace: string; data: SecretEntry[] };

export type Branding = { title: string; faviconUrl: string; themeUrl: string };

export type SessionInfo = {
  authenticated: boolean;
  signIn: 'oidc' | 'link';
  user?: string;
  groups?: string[];
  csrfToken?: string;
  expiresAt?: string;
  branding: Branding;
};
