"""Amazon Textract `DetectDocumentText`: the engine of the scan functions on AWS (IAM:
`textract:DetectDocumentText`, which takes no resource narrower than `*`)."""

from __future__ import annotations

from typing import Any

from sentinelle.readers import ReadError, ReaderUnavailable


class TextractReader:
    name = "textract"

    def __init__(self, client: Any = None):
        if client is None:
            try:
                import boto3
                from botocore.config import Config
            except ImportError as exc:
                raise ReaderUnavailable("textract: boto3 is not installed") from exc
            client = boto3.client("textract", config=Config(retries={"max_attempts": 3, "mode": "standard"},
                                                            connect_timeout=5, read_timeout=20))
        self.client = client

    def read(self, image: bytes) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            answer = self.client.detect_document_text(Document={"Bytes": image})
        except ClientError as exc:
            raise ReadError(f"textract: {exc.response.get('Error', {}).get('Code', 'error')}") from None
        except BotoCoreError as exc:
            raise ReadError(f"textract: {type(exc).__name__}") from None
        return "\n".join(b.get("Text", "") for b in answer.get("Blocks", []) if b.get("BlockType") == "LINE")
