{{- define "wax.name" -}}wax{{- end -}}

{{- define "wax.fullname" -}}
{{- if contains "wax" .Release.Name -}}
{{- .Release.Name | trunc 55 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-wax" .Release.Name | trunc 55 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "wax.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/name: wax
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "wax.selector" -}}
app.kubernetes.io/name: wax
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "wax.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "wax.oidcSecretName" -}}
{{- .Values.oidc.existingSecret | default (printf "%s-oidc" (include "wax.fullname" .)) -}}
{{- end -}}

{{/* The security context every Wax container runs with. */}}
{{- define "wax.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "wax.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
{{- end -}}

{{/* OIDC settings for WaxAPI and the Dashboard; the client secret only by reference. */}}
{{- define "wax.oidcEnv" -}}
- name: WAX_OIDC_ISSUER
  value: {{ .Values.oidc.authIssuer | quote }}
- name: WAX_OIDC_CLIENT_ID
  value: {{ .Values.oidc.clientId | quote }}
- name: WAX_OIDC_PKCE
  value: {{ .Values.oidc.pkce | quote }}
- name: WAX_OIDC_USERNAME_CLAIM
  value: {{ .Values.oidc.usernameClaim | quote }}
- name: WAX_OIDC_GROUPS_CLAIM
  value: {{ .Values.oidc.groupsClaim | quote }}
{{- if or .Values.oidc.clientSecret .Values.oidc.existingSecret }}
- name: WAX_OIDC_CLIENT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ include "wax.oidcSecretName" . }}
      key: clientSecret
{{- end }}
{{- end -}}
