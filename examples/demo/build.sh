#!/bin/sh
# The demo's build (release.build in shipgate.yaml): the artifact of $SHIPGATE_VERSION is the
# version's own code and migrations plus the shared app/service.js, in dist/<version>/.
set -eu
out="dist/$SHIPGATE_VERSION"
rm -rf "$out"
mkdir -p "$out"
cp -R "versions/$SHIPGATE_VERSION/." "$out/"
cp app/service.js "$out/"
