"""Stage 4: screening a deal: the compiler onto durable-rules (behind the private adapter
``_durable``), the three-valued evaluator, the verdict and result types, explanations
and why/why-not.
"""
