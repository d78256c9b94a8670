"""From numbers to action: regional profiles, a rule-based typology, a knowledge base of policy paths
(seed 000 §4, seed 001 §3, seed 002 §4, seed 003 §4.2) and an evidence-ranked action guide."""

from nqpf.guide.action import ActionGuide, Recommendation, action_guide
from nqpf.guide.knowledge import KnowledgeBase, concept_indicators, default_knowledge, load_knowledge
from nqpf.guide.profile import Profile, build_profile
from nqpf.guide.typology import Placement, Typology, classify, classify_all, load_typology

__all__ = ["ActionGuide", "KnowledgeBase", "Placement", "Profile", "Recommendation", "Typology", "action_guide",
           "build_profile", "classify", "classify_all", "concept_indicators", "default_knowledge",
           "load_knowledge", "load_typology"]
