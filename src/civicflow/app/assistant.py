"""The citizen inquiry assistant with roles and the ledger. Import (ASSISTANT_WRITE, ledger
``assistant.import``): ``import_knowledge``. Read (WORKSPACE_READ): ``knowledge``, ``ask``,
``evaluate_assistant``."""

from civicflow.app._assistant import ask, evaluate_assistant, import_knowledge, knowledge

__all__ = ["ask", "evaluate_assistant", "import_knowledge", "knowledge"]
