# SIPp (Debian's sip-tester) with trunkroute's scenarios, for docker-compose.yml.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends sip-tester && rm -rf /var/lib/apt/lists/*
COPY sipp-scenarios /scenarios
ENTRYPOINT ["sipp"]
