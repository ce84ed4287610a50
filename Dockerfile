# syntax=docker/dockerfile:1
# imagewarden: multi-stage build on Node.js 24 LTS (slim), running as the non-root `node` user.

FROM node:24-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 is compiled from source for this Node.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The web dashboard's pages: bundled into dist/web by `npm run build` (esbuild, a devDependency).
COPY web ./web
COPY scripts/build-web.mjs ./scripts/
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    IMAGEWARDEN_DATA_DIR=/data \
    IMAGEWARDEN_HOST=0.0.0.0 \
    IMAGEWARDEN_PORT=8080
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY migrations ./migrations
COPY templates ./templates
RUN mkdir -p /data && chown node:node /data
USER node
# SQLite in WAL mode on a block device (Azure Disk), never a network share; one replica per volume.
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.IMAGEWARDEN_PORT||8080)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["npm", "start"]
