from tests.x12.conftest import badx12_edi

__all__ = ["badx12_edi"]
