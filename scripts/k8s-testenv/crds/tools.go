//go:build tools

// Package crds pins the API types that controller-gen reads (go.mod keeps them).
package crds

import _ "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
