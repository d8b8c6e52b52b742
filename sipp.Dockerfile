# SIPp (Debian's sip-tester) with trunkroute's scenarios, for docker-compose.yml.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends sip-tester && rm -rf /var/lib/apt/lists/*
COPY sipp-scenarios /scenarios
ENTRYPOINT ["sipp"]
# Status codes are read when SIPp loads a scenario: bake the two the compose file uses.
RUN sed 's/__STATUS__/503/; s/__REASON__/Service Unavailable/' /scenarios/provider-reject.xml > /scenarios/provider-reject-503.xml \
 && sed 's/__STATUS__/404/; s/__REASON__/Not Found/' /scenarios/provider-reject.xml > /scenarios/provider-reject-404.xml
