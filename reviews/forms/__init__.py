from .review import (
    AnswerForm,
    ApproveForm,
    DenyForm,
    DocumentForm,
    EscalateForm,
    QueueFilterForm,
    RequestInfoForm,
)
from .steps import (
    ATTESTATIONS,
    STEP_KEYS,
    STEPS,
    bound_form,
    context_for,
    draft_data_from_facts,
    facts_from_steps,
    step_named,
    stored_input,
)

__all__ = [
    "ATTESTATIONS",
    "STEPS",
    "STEP_KEYS",
    "AnswerForm",
    "ApproveForm",
    "DenyForm",
    "DocumentForm",
    "EscalateForm",
    "QueueFilterForm",
    "RequestInfoForm",
    "bound_form",
    "context_for",
    "draft_data_from_facts",
    "facts_from_steps",
    "step_named",
    "stored_input",
]
