package store_test

import (
	"testing"

	"github.com/ceph/paddles-go/internal/pgtest"
	"github.com/ceph/paddles-go/internal/testserver"
)

func TestMain(m *testing.M) { pgtest.Main(m, testserver.Migrated) }
