"""From numbers to action: regional profiles, a rule-based typology, a knowledge base of policy paths
(seed 000 §4, seed 001 §3, seed 002 §4, seed 003 §4.2, seed 004 §2–§3), documented facts, the case library of
seed 004 §5, the sources' numeric targets and an evidence-ranked action guide."""

from nqpf.guide.action import ActionGuide, Recommendation, action_guide
from nqpf.guide.industry import IndustryGuide, industry_guide
from nqpf.guide.knowledge import (
    Case,
    KnowledgeBase,
    concept_indicators,
    default_knowledge,
    load_knowledge,
)
from nqpf.guide.profile import Profile, build_profile
from nqpf.guide.sources import cite
from nqpf.guide.targets import target_distances
from nqpf.guide.typology import Placement, Typology, classify, classify_all, load_typology

__all__ = ["ActionGuide", "Case", "IndustryGuide", "KnowledgeBase", "Placement", "Profile", "Recommendation", "Typology",
           "action_guide", "build_profile", "cite", "classify", "classify_all", "concept_indicators",
           "default_knowledge", "industry_guide", "load_knowledge", "load_typology", "target_distances"]
