"""What training reports: per-epoch losses (kept in the model manifest)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TrainingHistory:
    """Per-epoch losses (mean squared error per value)."""

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)  # whole validation subset
    val_normal_loss: list[float] = field(default_factory=list)  # its normal rows only
    best_epoch: int | None = None  # with early stopping: the epoch whose weights were kept

    def to_dict(self) -> dict[str, list[float] | int | None]:
        return {
            "train_loss": self.train_loss,
            "val_loss": self.val_loss,
            "val_normal_loss": self.val_normal_loss,
            "best_epoch": self.best_epoch,
        }


@dataclass(frozen=True)
class EpochReport:
    """What one finished epoch reports to a progress callback."""

    epoch: int  # 1-based
    epochs: int
    train_loss: float
    val_loss: float | None
