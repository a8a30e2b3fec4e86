# syntax=docker/dockerfile:1
# Node 24 is the current LTS (Node 20 reached end of life on 2026-04-30); CI tests the code on 20 and 24.
# Build stage: compile TypeScript with the dev toolchain.
FROM node:24.21.0-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json schema.graphql codegen.ts ./
COPY src ./src
COPY ui ./ui
COPY scripts ./scripts
RUN npm run build && npm run build:ui

# Runtime stage: production dependencies only, non-root.
FROM node:24.21.0-bookworm-slim
ENV NODE_ENV=production PORT=4000
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY --from=build /app/dist-ui ./dist-ui
COPY schema.graphql ./
USER node
EXPOSE 4000
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# SIGTERM triggers a graceful stop (WebSockets closed with 1001, in-flight requests drained).
STOPSIGNAL SIGTERM
CMD ["node", "dist/main.js"]
