# syntax=docker/dockerfile:1
#
# mamori's image: the CLI, and the admission webhook that `mamori admission manifests` deploys
# (its default --image is ghcr.io/mamori-dev/mamori:<version>).
#
#   docker build -t ghcr.io/mamori-dev/mamori:0.1.0 .
#
# Both base images are pinned by the digest of their multi-arch index, so a rebuild uses the same
# bytes and a re-pushed tag cannot slip something in. The digests below were taken from public
# repositories that pin these tags (they were not pulled where this file was written): verify
# them, and bump them deliberately, with
#   docker buildx imagetools inspect node:20-bookworm-slim
#   docker buildx imagetools inspect gcr.io/distroless/nodejs20-debian12:nonroot
# or override them: docker build --build-arg NODE_IMAGE=... --build-arg RUNTIME_IMAGE=... .
ARG NODE_IMAGE=node:20-bookworm-slim@sha256:2cf067cfed83d5ea958367df9f966191a942351a2df77d6f0193e162b5febfc0
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs20-debian12:nonroot@sha256:2cd820156cf039c8b54ae2d2a97e424b6729070714de8707a6b79f20d56f6a9a

# ---- build: compile and bundle, then keep the production dependencies only ----
FROM ${NODE_IMAGE} AS build
WORKDIR /src
ENV npm_config_audit=false \
    npm_config_fund=false \
    npm_config_update_notifier=false
COPY package.json package-lock.json ./
# --ignore-scripts: no dependency runs code at install time (mamori's runtime dependencies are
# plain JavaScript), and the `prepare` script would build before the sources are copied.
RUN npm ci --ignore-scripts
COPY tsconfig.json ./
COPY bin ./bin
COPY src ./src
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts

# ---- runtime: distroless Node.js, no shell, no package manager ----
FROM ${RUNTIME_IMAGE}
LABEL org.opencontainers.image.title="mamori" \
      org.opencontainers.image.description="Kubernetes security scanner and admission webhook" \
      org.opencontainers.image.source="https://github.com/mamori-dev/mamori" \
      org.opencontainers.image.licenses="Apache-2.0"
WORKDIR /app
# Owned by root and not writable by the process: the image works with readOnlyRootFilesystem,
# and mamori writes nothing but stdout, stderr and the files it is told to write.
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/bin ./bin
COPY --from=build /src/dist/bundle ./dist/bundle
ENV NODE_ENV=production
# distroless's nonroot user, numeric so that runAsNonRoot can verify it.
USER 65532:65532
EXPOSE 8443
ENTRYPOINT ["/nodejs/bin/node", "bin/mamori.js"]
CMD ["--help"]
