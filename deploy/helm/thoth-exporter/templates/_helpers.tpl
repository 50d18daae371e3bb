{{/* Name of the chart, or nameOverride. */}}
{{- define "thoth-exporter.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Release-qualified name, at most 63 characters (a DNS label). */}}
{{- define "thoth-exporter.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "thoth-exporter.selectorLabels" -}}
app.kubernetes.io/name: {{ include "thoth-exporter.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "thoth-exporter.labels" -}}
{{ include "thoth-exporter.selectorLabels" . }}
app.kubernetes.io/component: exporter
app.kubernetes.io/part-of: thoth
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "thoth-exporter.secretName" -}}
{{- if .Values.secrets.existingSecret -}}
{{- .Values.secrets.existingSecret -}}
{{- else -}}
{{- include "thoth-exporter.fullname" . -}}
{{- end -}}
{{- end -}}

{{- define "thoth-exporter.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "thoth-exporter.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The exporter's config file, as rendered into the ConfigMap. */}}
{{- define "thoth-exporter.config" -}}
{{ toYaml .Values.config }}
{{- end -}}

{{/*
A probe from values: as given without TLS; over HTTPS with TLS; a TCP check when a client
certificate is required (the kubelet has none). Arguments: (list probe tlsEnabled tcp).
*/}}
{{- define "thoth-exporter.probe" -}}
{{- $probe := deepCopy (index . 0) -}}
{{- if and (index . 2) (hasKey $probe "httpGet") -}}
{{- $_ := set $probe "tcpSocket" (dict "port" $probe.httpGet.port) -}}
{{- $_ := unset $probe "httpGet" -}}
{{- else if and (index . 1) (hasKey $probe "httpGet") -}}
{{- $_ := set $probe.httpGet "scheme" "HTTPS" -}}
{{- end -}}
{{- toYaml $probe -}}
{{- end -}}
