# PostgreSQL 15 from Debian 12 for tests/container.sh, a stand-in for the
# official postgres:15-bookworm image of deploy/compose.yaml with the same
# interface: POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB, data in PGDATA.
ARG BASE=debian:bookworm-slim
FROM ${BASE}
RUN mkdir -p /etc/postgresql-common/createcluster.d \
 && echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.d/no-main.conf \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-15 \
 && apt-get clean && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/lib/postgresql/data /var/run/postgresql \
 && chown postgres:postgres /var/lib/postgresql/data /var/run/postgresql
COPY tests/container/postgres-entry.sh /usr/local/bin/postgres-entry
ENV PGDATA=/var/lib/postgresql/data PATH=/usr/lib/postgresql/15/bin:$PATH
USER postgres
EXPOSE 5432
HEALTHCHECK --interval=2s --timeout=3s --retries=30 CMD pg_isready -q -h 127.0.0.1 -U "$POSTGRES_USER"
ENTRYPOINT ["postgres-entry"]
