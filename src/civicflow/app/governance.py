"""Governance with roles and the ledger: the register of automated systems, impact assessments
(every answer audited), lifecycle moves and transparency records.

Read (WORKSPACE_READ): ``list_systems``, ``get_system`` (by id or name), ``export_record``,
``list_assessments``, ``get_assessment``, ``assessment_questions``. Public (no actor): ``published_records``,
``published_record``. Change (GOVERNANCE_WRITE, ledgered): ``add_system``, ``update_system``,
``move_system``, ``start_assessment``, ``answer_assessment``, ``set_control``. Compliance
(WORKSPACE_READ): ``control_states``, ``gaps``, ``processing_record`` (GDPR Art. 30), ``dataset_scans`` (the
datasets' PII scans). Readiness
(WORKSPACE_READ): ``readiness_evidence``, ``readiness`` (the scorecard of the ten preparations).
The trend: ``save_readiness`` (GOVERNANCE_WRITE, ledger ``readiness.save``), ``readiness_trend``
(WORKSPACE_READ). Infrastructure inventory: ``list_inventory`` (WORKSPACE_READ), ``save_inventory_item``
(GOVERNANCE_WRITE, ledger ``infrastructure.create|update``). Evidence files: ``attach_to_answer``,
``attach_to_control`` (GOVERNANCE_WRITE, ledger ``governance_attachment.create`` with the file's
SHA-256), ``list_attachments``, ``read_attachment`` (WORKSPACE_READ). The report's "Governance" section:
``report_section`` (WORKSPACE_READ), ``local_report_section`` (the command line's).
"""

from civicflow.app._governance import (
    ReadinessPoint,
    StoredAssessment,
    add_system,
    answer_assessment,
    assessment_questions,
    attach_to_answer,
    attach_to_control,
    control_states,
    dataset_scans,
    export_record,
    gaps,
    get_assessment,
    get_system,
    list_assessments,
    list_attachments,
    list_inventory,
    list_systems,
    local_report_section,
    move_system,
    processing_record,
    published_record,
    published_records,
    read_attachment,
    readiness,
    readiness_evidence,
    readiness_trend,
    report_section,
    save_inventory_item,
    save_readiness,
    set_control,
    start_assessment,
    update_system,
)

__all__ = [
    "ReadinessPoint",
    "StoredAssessment",
    "add_system",
    "answer_assessment",
    "assessment_questions",
    "attach_to_answer",
    "attach_to_control",
    "control_states",
    "dataset_scans",
    "export_record",
    "gaps",
    "get_assessment",
    "get_system",
    "list_assessments",
    "list_attachments",
    "list_inventory",
    "list_systems",
    "local_report_section",
    "move_system",
    "processing_record",
    "published_record",
    "published_records",
    "read_attachment",
    "readiness",
    "readiness_evidence",
    "readiness_trend",
    "report_section",
    "save_inventory_item",
    "save_readiness",
    "set_control",
    "start_assessment",
    "update_system",
]
