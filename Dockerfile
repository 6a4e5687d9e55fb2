# One image for every FleetMQ role; the command picks the app.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# npm ci runs "prepare" (tools/build-if-changed.mjs), which builds nothing before the sources are copied.
COPY tools/build-if-changed.mjs tools/
# npm ci's postinstall applies the engine source patches (patch-package).
COPY patches patches/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
CMD ["node", "dist/apps/fleetmq/src/main.js"]
