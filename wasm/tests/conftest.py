# mp_modules_test.py runs inside MicroPython (driven by test_modules.py), not under pytest.
collect_ignore = ["mp_modules_test.py"]
