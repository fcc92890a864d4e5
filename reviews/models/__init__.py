from .applications import Application, Assessment, ReviewAction
from .catalogue import Capability, ReasonCode
from .policy import Outcome, Policy, PolicySimulation, PolicyVersion, Reassessment, Rule

__all__ = [
    "Application",
    "Assessment",
    "Capability",
    "Outcome",
    "Policy",
    "PolicySimulation",
    "PolicyVersion",
    "ReasonCode",
    "Reassessment",
    "ReviewAction",
    "Rule",
]
