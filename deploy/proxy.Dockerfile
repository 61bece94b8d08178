# nginx from Debian's packages in front of the API replicas (deploy/nginx.conf.template).
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends nginx gettext-base \
    && rm -rf /var/lib/apt/lists/*
COPY deploy/nginx.conf.template deploy/proxy-entrypoint.sh /etc/voiceshop/
ENTRYPOINT ["sh", "/etc/voiceshop/proxy-entrypoint.sh"]
