"""The model side of the data flow: tokenizer, the trace encoding the model reads and writes, and the GPT."""

from mathglm.model.encoding import ParsedChain, TraceEncoding, parse_completion
from mathglm.model.gpt import GPT, IGNORE_INDEX, PRESETS, GPTConfig
from mathglm.model.tokenizer import Tokenizer, load_tokenizer

__all__ = ["GPT", "GPTConfig", "IGNORE_INDEX", "PRESETS", "ParsedChain", "Tokenizer", "TraceEncoding", "load_tokenizer",
           "parse_completion"]
