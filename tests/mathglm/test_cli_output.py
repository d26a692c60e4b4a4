"""What the training commands keep out of a terminal: Lightning's advertisement tip and the LeafSpec deprecation it
triggers itself; every other Lightning message stays."""

import logging
import warnings

from lightning.pytorch.utilities.rank_zero import rank_zero_info

from mathglm.cli.output import LIGHTNING_LOGGER, quiet_lightning


def test_quiet_lightning_drops_only_the_tip_and_the_leafspec_warning(caplog):
    quiet_lightning()
    quiet_lightning()  # idempotent: one filter
    assert sum(type(f).__name__ == "_DropTips" for f in logging.getLogger(LIGHTNING_LOGGER).filters) == 1
    with caplog.at_level(logging.INFO, logger=LIGHTNING_LOGGER):
        rank_zero_info("💡 Tip: For seamless cloud logging, try installing something")
        rank_zero_info("GPU available: False, used: False")
    assert [r.getMessage() for r in caplog.records] == ["GPU available: False, used: False"]
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")  # a DeprecationWarning is otherwise hidden by default, filter or not
        quiet_lightning()  # catch_warnings restores the filters on exit, so install them inside
        warnings.warn("`isinstance(treespec, LeafSpec)` is deprecated, use ...", DeprecationWarning)
        warnings.warn("something a user should see", UserWarning)
    assert [str(w.message) for w in seen] == ["something a user should see"]
