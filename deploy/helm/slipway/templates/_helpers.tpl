{{/* Name of the chart, overridable. */}}
{{- define "slipway.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name of the release's objects: "<release>-slipway", or the release name alone when it already says slipway. */}}
{{- define "slipway.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "slipway.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "slipway.selectorLabels" -}}
app.kubernetes.io/name: {{ include "slipway.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "slipway.labels" -}}
helm.sh/chart: {{ include "slipway.chart" . }}
{{ include "slipway.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "slipway.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "slipway.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "slipway.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag | toString) }}
{{- end }}
{{- end }}

{{- define "slipway.configMapName" -}}
{{- default (include "slipway.fullname" .) .Values.existingConfigMap }}
{{- end }}

{{- define "slipway.pvcName" -}}
{{- default (printf "%s-data" (include "slipway.fullname" .)) .Values.persistence.existingClaim }}
{{- end }}

{{/* True ("true") when the data directory is a PersistentVolumeClaim. */}}
{{- define "slipway.persistent" -}}
{{- if and (eq .Values.database.type "sqlite") .Values.persistence.enabled }}true{{ end }}
{{- end }}

{{/*
Refuses combinations that cannot work, at render time, with a message that says what to
change. Included by the Deployment, so `helm template` and `helm install` both stop.
*/}}
{{- define "slipway.validate" -}}
{{- $db := .Values.database.type }}
{{- if not (has $db (list "sqlite" "postgres")) }}
{{- fail (printf "database.type is %q: use sqlite (one replica, the default) or postgres (several replicas)." (toString $db)) }}
{{- end }}
{{- if eq $db "sqlite" }}
{{- if gt (int .Values.replicaCount) 1 }}
{{- fail (printf "replicaCount is %d but database.type is sqlite: SQLite is a file on one volume and serves one Slipway server. Set database.type=postgres with database.existingSecret (a Secret whose %s is postgres://…) to run several replicas, or set replicaCount=1." (int .Values.replicaCount) .Values.database.key) }}
{{- end }}
{{- if .Values.autoscaling.enabled }}
{{- fail (printf "autoscaling.enabled needs several replicas, but database.type is sqlite: SQLite is a file on one volume and serves one Slipway server. Set database.type=postgres with database.existingSecret (a Secret whose %s is postgres://…), or set autoscaling.enabled=false." .Values.database.key) }}
{{- end }}
{{- else }}
{{- if not (or .Values.database.existingSecret .Values.secrets.existingSecret) }}
{{- fail (printf "database.type is postgres but no Secret holds its URL: set database.existingSecret (or secrets.existingSecret) to a Secret whose key %s is postgres://user:password@host:5432/db. The chart never takes the URL as a value." .Values.database.key) }}
{{- end }}
{{- end }}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- fail (printf "autoscaling.minReplicas (%d) is above autoscaling.maxReplicas (%d)." (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- end }}
{{- if and (not .Values.existingConfigMap) (not .Values.config) }}
{{- fail "Give Slipway its slipway.yaml: set config (the file's content as YAML) or existingConfigMap (a ConfigMap with the key slipway.yaml)." }}
{{- end }}
{{- end }}

{{/* The container's environment: settings, the database URL, secrets by reference. */}}
{{- define "slipway.env" -}}
- name: PORT
  value: {{ .Values.containerPort | quote }}
- name: SLIPWAY_CONFIG
  value: /etc/slipway/slipway.yaml
- name: SLIPWAY_DATA_DIR
  value: /var/lib/slipway
{{- if eq .Values.database.type "postgres" }}
- name: SLIPWAY_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ default .Values.secrets.existingSecret .Values.database.existingSecret }}
      key: {{ .Values.database.key }}
{{- else }}
- name: SLIPWAY_DATABASE_URL
  value: sqlite:///var/lib/slipway/slipway.db
{{- end }}
{{- range $name, $value := .Values.env }}
- name: {{ $name }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- $default := .Values.secrets.existingSecret }}
{{- range $name, $ref := .Values.secrets.env }}
{{- if $ref }}
{{- $secret := default $default $ref.secret }}
{{- if $secret }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ required (printf "secrets.env.%s.key: name the key in Secret %s" $name $secret) $ref.key }}
      optional: true
{{- end }}
{{- end }}
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}
