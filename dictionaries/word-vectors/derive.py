"""Derives words.tsv and vectors.i8 from GiNZA's word vectors (chiVe).

    pip download --no-deps ja-ginza==5.3.0 && unzip ja_ginza-5.3.0-py3-none-any.whl -d ginza
    pip install spacy    # only to read the package's vocabulary (strings and hashes)
    python3 derive.py ginza/ja_ginza/ja_ginza-5.3.0/vocab IPADIC_CSV_DIR DIMS

Vectors: chiVe (Works Applications, Apache License 2.0), as pruned and shipped
in GiNZA's ja-ginza 5.3.0 (MIT): 480,443 words (Sudachi's normalised forms)
sharing 20,000 vectors of 300 dimensions.

IPADIC_CSV_DIR holds mecab-ipadic's CSV files (unpack
../ipadic/mecab-ipadic-2.7.0.tar.zst). Kept are the words the analyser can
produce: IPADIC's surface and base forms of content words, the words of
../variants/variants.tsv and ../user_dict.csv. Vectors are reduced to DIMS
dimensions by truncated SVD (150 shipped), scaled to unit length and stored as
signed bytes, one row of DIMS bytes per vector; words.tsv gives each word's
row.
"""

import glob
import json
import sys
from pathlib import Path

import numpy as np
import srsly
from spacy.strings import hash_string

HERE = Path(__file__).resolve().parent


def analyser_words(ipadic_dir):
    words = set()
    for path in glob.glob(f"{ipadic_dir}/*.csv"):
        raw = open(path, "rb").read()
        try:
            text = raw.decode("euc-jp")
        except UnicodeDecodeError:
            text = raw.decode("utf-8")
        for line in text.splitlines():
            cells = line.split(",")
            if len(cells) > 10 and cells[4] not in ("助詞", "助動詞", "記号"):
                words.update((cells[0], cells[10]))
    for line in open(HERE.parent / "variants" / "variants.tsv", encoding="utf-8"):
        if not line.startswith("#"):
            words.update(line.rstrip("\n").split("\t"))
    for line in open(HERE.parent / "user_dict.csv", encoding="utf-8"):
        if not line.startswith("#"):
            words.add(line.split(",")[0])
    return words


def main(vocab, ipadic_dir, dims):
    vocab = Path(vocab)
    strings = json.load(open(vocab / "strings.json", encoding="utf-8"))
    key_to_row = srsly.msgpack_loads((vocab / "key2row").read_bytes())
    vectors = np.load(vocab / "vectors").astype(np.float64)
    by_hash = {hash_string(s): s for s in strings}
    wanted = analyser_words(ipadic_dir)
    kept = sorted(
        (by_hash[key], row)
        for key, row in key_to_row.items()
        if key in by_hash and by_hash[key] in wanted and "\t" not in by_hash[key]
    )
    old_rows = sorted({row for _, row in kept})
    new_row = {old: new for new, old in enumerate(old_rows)}
    chosen = vectors[old_rows]
    # Not centred: centring first cost localgovFAQ 0.008 Recall@10.
    _, _, components = np.linalg.svd(chosen, full_matrices=False)
    reduced = chosen @ components[:dims].T
    reduced /= np.linalg.norm(reduced, axis=1, keepdims=True)
    scale = 127 / np.abs(reduced).max(axis=1, keepdims=True)
    np.round(reduced * scale).astype(np.int8).tofile(HERE / "vectors.i8")
    with open(HERE / "words.tsv", "w", encoding="utf-8") as out:
        for word, row in kept:
            out.write(f"{word}\t{new_row[row]}\n")
    print(f"{len(kept)} words, {len(old_rows)} vectors of {dims}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
