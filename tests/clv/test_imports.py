"""Importing the CLV models (and segments, retention, features) loads neither SciPy nor scikit-learn."""

import subprocess
import sys


def test_customer_packages_import_without_scipy_or_sklearn():
    code = ("import sys; from cmokit.clv import BetaGeo, GammaGamma, ParetoNBD, ShiftedBetaGeometric, "
            "purchase_summary, customer_lifetime_value, clv_by; import cmokit.segments, cmokit.retention, "
            "cmokit.features; print(sorted(m for m in ('scipy', 'sklearn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
