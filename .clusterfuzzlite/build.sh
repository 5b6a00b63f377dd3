#!/bin/bash -eu
# ClusterFuzzLite entry point: the OSS-Fuzz build script of the repository,
# which builds every fuzz target (see fuzz/README.md). fuzz/oss-fuzz/check.sh
# runs this file as CI's check that each one builds.
exec bash "$SRC/tabletls/fuzz/oss-fuzz/build.sh"
