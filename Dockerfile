# One image for every ssomigrate service; the command picks which one runs.
FROM oven/bun:1 AS base
WORKDIR /app
COPY package.json package-lock.json ./
RUN bun install --production --frozen-lockfile --ignore-scripts
COPY shared ./shared
COPY db ./db
COPY services ./services
COPY cli ./cli
USER bun
ENV NODE_ENV=production
CMD ["bun", "services/commands/main.ts"]
