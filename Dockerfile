# trunkroute: build and run (Node 20).
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build && npm prune --omit=dev
EXPOSE 5060/udp 5060/tcp 8080/tcp
# Node's options for a call server: docs/performance.md, "Node's options".
ENTRYPOINT ["node", "--v8-pool-size=1", "--min-semi-space-size=16", "--no-allocation-site-pretenuring", "--heap-growing-percent=200", "dist/cli.js"]
CMD ["serve"]
