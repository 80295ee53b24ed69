# nginx from Debian 12 for tests/container.sh, a stand-in for the official
# nginx image of deploy/compose.yaml; the configuration (deploy/nginx/) is
# mounted as there.
ARG BASE=debian:bookworm-slim
FROM ${BASE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx \
 && apt-get clean && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled/*
EXPOSE 80 443
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
