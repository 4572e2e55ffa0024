# syntax=docker/dockerfile:1
# The API server as an image (README: Deploy). The build stage runs the
# commands the artifact test (apps/server/test/artifact.test.ts) runs after
# `pnpm build`: install from the lockfile, build the server with turbo, then
# `pnpm deploy:server <dir> --no-build`. The image itself cannot be built on
# the machine this project is tested on (no container daemon or registry).

FROM node:20-slim AS build
WORKDIR /repo
# The pnpm that package.json pins (packageManager).
RUN npm install --global pnpm@12.21.0
COPY . .
RUN pnpm install --frozen-lockfile
RUN pnpm exec turbo run build --filter=@wxapp/server
RUN pnpm deploy:server /server --no-build

FROM node:20-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
COPY --from=build --chown=node:node /server /app
# The embedded database and the development data key live here when
# DATABASE_URL is not set: mount a volume, or use PostgreSQL.
RUN mkdir -p /app/data && chown node:node /app/data
VOLUME ["/app/data"]
USER node
EXPOSE 3000
# Liveness: the process answers. Balancers should check /readyz (the database too).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Migrations: run `node main.js migrate` once per release (a job or a
# pre-deploy step), or set MIGRATE_ON_START=true for a single instance.
CMD ["node", "main.js"]
