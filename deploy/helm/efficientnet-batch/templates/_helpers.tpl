{{/*
Names, labels and shared fragments. Labels follow the Kubernetes recommended labels
(https://kubernetes.io/docs/concepts/overview/working-with-objects/common-labels/).
*/}}

{{- define "enb.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-qualified name; component names append a suffix, so keep room for it. */}}
{{- define "enb.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 50 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "enb.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Selector labels of one component. Usage: include "enb.selectorLabels" (dict "ctx" $ "component" "worker") */}}
{{- define "enb.selectorLabels" -}}
app.kubernetes.io/name: {{ include "enb.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* All recommended labels of one component. Usage: include "enb.labels" (dict "ctx" $ "component" "worker") */}}
{{- define "enb.labels" -}}
helm.sh/chart: {{ include "enb.chart" .ctx }}
{{ include "enb.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: {{ include "enb.name" .ctx }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
{{- end }}

{{- define "enb.workerName" -}}
{{- printf "%s-worker" (include "enb.fullname" .) }}
{{- end }}

{{- define "enb.schedulerName" -}}
{{- printf "%s-scheduler" (include "enb.fullname" .) }}
{{- end }}

{{- define "enb.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "enb.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Secret holding the connection strings: the user's existingSecret, or the one this chart renders. */}}
{{- define "enb.secretName" -}}
{{- if .Values.secrets.existingSecret }}
{{- .Values.secrets.existingSecret }}
{{- else }}
{{- printf "%s-connections" (include "enb.fullname" .) }}
{{- end }}
{{- end }}

{{/* Image reference. Usage: include "enb.image" (dict "ctx" $ "image" .Values.worker.image) */}}
{{- define "enb.image" -}}
{{- $repository := .image.repository }}
{{- if .ctx.Values.image.registry }}
{{- $repository = printf "%s/%s" (trimSuffix "/" .ctx.Values.image.registry) .image.repository }}
{{- end }}
{{- if .image.digest }}
{{- printf "%s@%s" $repository .image.digest }}
{{- else }}
{{- printf "%s:%s" $repository (default .ctx.Chart.AppVersion .image.tag) }}
{{- end }}
{{- end }}

{{/* The HTTP port of both services (health, metrics, dashboard): part of the application contract. */}}
{{- define "enb.httpPort" -}}
8080
{{- end }}

{{/* One env var from the connections Secret. Usage: include "enb.secretEnv" (dict "ctx" $ "name" "X" "key" "k") */}}
{{- define "enb.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ include "enb.secretName" .ctx }}
      key: {{ .key }}
{{- end }}

{{/* Liveness, readiness and startup probes on the health endpoints. Usage: include "enb.probes" .Values.worker.probes */}}
{{- define "enb.probes" -}}
startupProbe:
  httpGet:
    path: /health/live
    port: http
  periodSeconds: {{ .startup.periodSeconds }}
  failureThreshold: {{ .startup.failureThreshold }}
livenessProbe:
  httpGet:
    path: /health/live
    port: http
  periodSeconds: {{ .liveness.periodSeconds }}
  timeoutSeconds: {{ .liveness.timeoutSeconds }}
  failureThreshold: {{ .liveness.failureThreshold }}
readinessProbe:
  httpGet:
    path: /health/ready
    port: http
  periodSeconds: {{ .readiness.periodSeconds }}
  timeoutSeconds: {{ .readiness.timeoutSeconds }}
  failureThreshold: {{ .readiness.failureThreshold }}
{{- end }}

{{/* Seconds a stopping worker leaves itself to exit after its host's shutdown timeout. */}}
{{- define "enb.exitMarginSeconds" -}}
10
{{- end }}

{{/* The .NET host's shutdownTimeoutSeconds: what is left of the grace period after preStop and the exit margin. */}}
{{- define "enb.workerShutdownTimeoutSeconds" -}}
{{- sub (int .Values.worker.terminationGracePeriodSeconds) (add (int .Values.worker.preStopSleepSeconds) (include "enb.exitMarginSeconds" . | int)) }}
{{- end }}

{{/*
The worker's appsettings.json: worker.config, plus Inference.DeviceIds 0..count-1 when a pod has several GPUs, so the
worker opens one ONNX Runtime session per GPU (the container sees only its own GPUs, numbered from 0). DeviceIds set in
worker.config win.
*/}}
{{- define "enb.workerConfig" -}}
{{- $w := .Values.worker }}
{{- $config := deepCopy $w.config }}
{{- if and $w.gpu.enabled (gt (int $w.gpu.count) 1) }}
{{- $inference := default (dict) (get $config "Inference") }}
{{- if not (hasKey $inference "DeviceIds") }}
{{- $_ := set $inference "DeviceIds" (until (int $w.gpu.count)) }}
{{- end }}
{{- $_ := set $config "Inference" $inference }}
{{- end }}
{{- toPrettyJson $config }}
{{- end }}

{{/* Cross-value checks that values.schema.json cannot express. */}}
{{- define "enb.validate" -}}
{{- $w := .Values.worker }}
{{- if le (include "enb.workerShutdownTimeoutSeconds" . | int) (int $w.maxShardSeconds) }}
{{- fail (printf "worker.terminationGracePeriodSeconds (%v) must exceed worker.maxShardSeconds + worker.preStopSleepSeconds + %s s to exit (%v): a stopping worker needs time to finish or return its shards" $w.terminationGracePeriodSeconds (include "enb.exitMarginSeconds" .) (add $w.maxShardSeconds $w.preStopSleepSeconds (include "enb.exitMarginSeconds" . | int))) }}
{{- end }}
{{- if and .Values.keda.enabled (not .Values.keda.scaleToZero) (gt (int .Values.keda.minReplicas) (int .Values.keda.maxReplicas)) }}
{{- fail (printf "keda.minReplicas (%v) must not exceed keda.maxReplicas (%v)" .Values.keda.minReplicas .Values.keda.maxReplicas) }}
{{- end }}
{{- end }}
