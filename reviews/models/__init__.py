from .applications import Application, Assessment, ReviewAction
from .catalogue import Capability, ReasonCode
from .intake import Document, InformationRequest
from .policy import (
    Outcome,
    Policy,
    PolicySimulation,
    PolicyVersion,
    Reassessment,
    ReassessmentPart,
    Rule,
)

__all__ = [
    "Application",
    "Assessment",
    "Capability",
    "Document",
    "InformationRequest",
    "Outcome",
    "Policy",
    "PolicySimulation",
    "PolicyVersion",
    "ReasonCode",
    "Reassessment",
    "ReassessmentPart",
    "ReviewAction",
    "Rule",
]
